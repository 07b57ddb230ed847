import { ref } from 'vue'

/**
 * A keyset-paged list (`{items, next_cursor}`) for a page: `load()` starts over, `load({more: true})` appends the
 * next page. An answer that arrives after a newer load started is dropped (a generation counter), so a slow old
 * filter never lands over a new one; a failed first page empties the list (the client already showed why).
 * `fetchPage(cursor)` returns the page; `onLoaded({more})` runs after a page is in.
 */
export function useKeysetList(fetchPage, { onLoaded } = {}) {
  const items = ref([])
  const nextCursor = ref(null)
  const loading = ref(false)
  const loadingMore = ref(false)
  const loaded = ref(false)
  let generation = 0

  async function load({ more = false } = {}) {
    const mine = ++generation
    if (more) loadingMore.value = true
    else loading.value = true
    try {
      const page = await fetchPage(more ? nextCursor.value : '')
      if (mine !== generation) return
      items.value = more ? [...items.value, ...page.items] : page.items
      nextCursor.value = page.next_cursor
      loaded.value = true
      if (onLoaded) onLoaded({ more })
    } catch {
      if (mine === generation && !more) {
        items.value = []
        nextCursor.value = null
      }
    } finally {
      if (mine === generation) {
        loading.value = false
        loadingMore.value = false
      }
    }
  }

  return { items, nextCursor, loading, loadingMore, loaded, load }
}
