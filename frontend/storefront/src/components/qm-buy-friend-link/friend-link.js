// 找朋友代付 links: the API gives a share path (/pages/friend-pay/index?token=...). A mini-program shares the
// path itself (onShareAppMessage); in a browser it becomes a link to this H5 site (hash router).
export function friendShareUrl(sharePath) {
  if (!sharePath) return ''
  let url = sharePath
  // #ifdef H5
  url = `${window.location.origin}${window.location.pathname}#${sharePath}`
  // #endif
  return url
}
