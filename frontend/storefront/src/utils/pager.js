// A keyset-paged list (`{items, next_cursor}`): first load, more on scroll, refresh. Every list page keeps one
// in data() and shows its state: initialLoading (skeleton), initialError (error with retry), empty, then the items
// and <qm-browse-list-footer> (loading / the end / a failed page with tap-to-retry).
// Answers that arrive after a refresh started are dropped (a `generation` counter), so a slow old page never
// lands in a new list; items already shown are not added twice (by `key`).
import { t } from '@/locale'

export class Pager {
  /**
   * fetchPage(cursor) -> Promise<{items, next_cursor}> (cursor is null for the first page).
   * key: the field that identifies an item ('id'; e.g. 'order_no' for orders).
   * onError(error): called when a page fails while items are on screen (the first page's failure is the page's
   * own error state), e.g. showError to toast the server's message.
   */
  constructor(fetchPage, { key = 'id', onError = null } = {}) {
    this.fetchPage = fetchPage
    this.key = key
    this.onError = onError
    this.generation = 0
    this.reset()
  }

  reset() {
    this.generation += 1
    this.items = []
    this.cursor = null
    this.loading = false
    this.loaded = false
    this.finished = false
    this.error = ''
    this.failedReload = false
  }

  /** Start over from an empty list (a new filter or tab); resolves when the first page is in. */
  refresh() {
    this.reset()
    return this.more()
  }

  /**
   * Start over but keep the items on screen until the first page replaces them (pull-to-refresh, back on the
   * page). With nothing on screen it is a refresh.
   */
  reload() {
    if (!this.loaded || !this.items.length) return this.refresh()
    this.generation += 1
    return this.load(null, true)
  }

  /** The next page, if there is one and none is on its way. */
  more() {
    if (this.loading || this.finished) return Promise.resolve()
    return this.load(this.cursor, false)
  }

  /** The footer's tap-to-retry: again whatever failed (a reload, or the next page). */
  retry() {
    return this.failedReload ? this.reload() : this.more()
  }

  /** onReachBottom: the next page, unless the first is not in yet or the last one failed (that waits for a retry). */
  reachBottom() {
    if (this.loaded && !this.error) return this.more()
    return Promise.resolve()
  }

  /** onPullDownRefresh: reload, then end the page's pull-down animation. */
  async pullDown() {
    await this.reload()
    uni.stopPullDownRefresh()
  }

  /** Take an item out of the list (e.g. after deleting it on the server). */
  remove(keyValue) {
    this.items = this.items.filter((item) => item[this.key] !== keyValue)
  }

  /** The list is known to be empty now (e.g. after clearing it on the server). */
  clear() {
    this.reset()
    this.loaded = true
    this.finished = true
  }

  async load(cursor, replace) {
    const generation = this.generation
    this.loading = true
    this.error = ''
    this.failedReload = false
    try {
      const page = await this.fetchPage(cursor)
      if (generation !== this.generation) return
      const kept = replace ? [] : this.items
      const seen = new Set(kept.map((item) => item[this.key]))
      const fresh = (page.items || []).filter((item) => !seen.has(item[this.key]))
      this.items = kept.concat(fresh)
      this.cursor = page.next_cursor || null
      this.finished = !this.cursor
      this.loaded = true
    } catch (error) {
      if (generation !== this.generation) return
      this.error = (error && error.message) || t('error.server')
      this.failedReload = replace
      if (this.items.length && this.onError) this.onError(error)
    } finally {
      if (generation === this.generation) this.loading = false
    }
  }

  /** Nothing on screen yet and still waiting: show a skeleton. */
  get initialLoading() {
    return !this.loaded && !this.error
  }

  /** The first page failed: show a full error state with a retry. */
  get initialError() {
    return !this.loaded && Boolean(this.error)
  }

  get empty() {
    return this.loaded && this.finished && this.items.length === 0
  }
}
