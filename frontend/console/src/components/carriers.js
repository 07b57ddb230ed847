// Common express carriers: the code and Chinese name are what the server records (carrier_code, carrier_name);
// the English name is only for the English interface.
export const CARRIERS = [
  { code: 'SF', name: '顺丰速运', en: 'SF Express' },
  { code: 'ZTO', name: '中通快递', en: 'ZTO Express' },
  { code: 'YTO', name: '圆通速递', en: 'YTO Express' },
  { code: 'YD', name: '韵达快递', en: 'Yunda Express' },
  { code: 'STO', name: '申通快递', en: 'STO Express' },
  { code: 'JD', name: '京东快递', en: 'JD Logistics' },
  { code: 'EMS', name: '邮政EMS', en: 'China Post EMS' },
  { code: 'JTSDEX', name: '极兔速递', en: 'J&T Express' },
]

export const TRACKING_NO = /^[A-Za-z0-9-]{4,40}$/
