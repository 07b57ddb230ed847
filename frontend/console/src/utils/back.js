// The back button of a detail page: return to the list the person came from (keeping its filters and scroll),
// or open the list when the page was reached another way (a link, a reload, a pasted address).
import { useRouter } from 'vue-router'

/** useBack('orders') → a function that goes back to a '/orders…' page, else opens the 'orders' route. */
export function useBack(listRoute, fromPrefix = `/${listRoute}`) {
  const router = useRouter()
  return () => {
    const previous = window.history.state?.back
    if (typeof previous === 'string' && previous.startsWith(fromPrefix)) router.back()
    else router.push({ name: listRoute })
  }
}
