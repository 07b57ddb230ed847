// A keyset-paged list (`{items, next_cursor}`): first load, more, refresh. Answers that arrive after a
// refresh started are dropped (a `generation` counter), so a slow old page never lands in a new list.
import { t } from '@/locale'

export class Pager {
  /** fetchPage(cursor) -> Promise<{items, next_cursor}> */
  constructor(fetchPage) {
    this.fetchPage = fetchPage
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
  }

  /** Start over (pull-to-refresh, a new filter); resolves when the first page is in. */
  refresh() {
    this.reset()
    return this.more()
  }

  async more() {
    if (this.loading || this.finished) return
    const generation = this.generation
    this.loading = true
    this.error = ''
    try {
      const page = await this.fetchPage(this.cursor)
      if (generation !== this.generation) return
      const seen = new Set(this.items.map((item) => item.id))
      const fresh = (page.items || []).filter((item) => !seen.has(item.id))
      this.items = this.items.concat(fresh)
      this.cursor = page.next_cursor || null
      this.finished = !this.cursor
      this.loaded = true
    } catch (error) {
      if (generation !== this.generation) return
      this.error = (error && error.message) || t('error.server')
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
