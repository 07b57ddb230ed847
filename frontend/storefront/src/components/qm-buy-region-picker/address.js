// Address helpers shared by the buying pages (address list / edit, checkout).
import { api, showError } from '@/api/http.js'
import { t } from '@/locale'
import { confirmDialog } from '@/utils/account-kit.js'

/** uni.$emit(SELECTED_EVENT, address) when the list in select mode is tapped; the checkout listens. */
export const SELECTED_EVENT = 'qm-buy:address-selected'
/** uni.$emit(SAVED_EVENT, address) after the edit page saved an address (the API's AddressDetail). */
export const SAVED_EVENT = 'qm-buy:address-saved'

/** The tags offered by the form: stored as the Chinese word (the API keeps free text up to 16 characters). */
export const TAGS = [
  { value: '家', key: 'buy.address.tag.home' },
  { value: '公司', key: 'buy.address.tag.company' },
  { value: '学校', key: 'buy.address.tag.school' },
]

export function tagLabel(tag) {
  const known = TAGS.find((item) => item.value === tag)
  return known ? t(known.key) : tag || ''
}

/** 省 + 市 + 区 + 详细地址; a municipality's city (上海市 上海市) is not repeated. */
export function fullAddress(a) {
  if (!a) return ''
  if (a.full_address) return a.full_address
  const city = a.city && a.city !== a.province ? a.city : ''
  return `${a.province || ''}${city}${a.district || ''} ${a.detail || ''}`.trim()
}

/** Ask, then delete the address. Resolves true once deleted (a toast says so); false if declined or failed (shown). */
export async function deleteAddress(id) {
  if (!(await confirmDialog(t('buy.address.deleteConfirm'), { confirmText: t('common.delete') }))) return false
  try {
    await api.del(`/addresses/${id}`, undefined, { auth: 'required' })
    uni.showToast({ title: t('buy.address.deleted'), icon: 'none' })
    return true
  } catch (e) {
    showError(e)
    return false
  }
}
