// Element Plus tables have no per-row attributes, so after each render this puts data-* attributes and a
// tabindex on the body rows (in data order) and makes the table keyboard-friendly: Tab reaches the rows,
// ↑/↓ (or j/k) move between them, Enter opens the focused one.
import { nextTick, onBeforeUnmount, onMounted, watch } from 'vue'

export function useRowAttrs(tableRef, rows, attrsFor, { onOpen } = {}) {
  function bodyRows() {
    const root = tableRef.value?.$el
    return root ? [...root.querySelectorAll('.el-table__body-wrapper tbody > tr.el-table__row')] : []
  }

  function apply() {
    const elements = bodyRows()
    elements.forEach((element, index) => {
      const row = rows.value[index]
      if (!row) return
      for (const [name, value] of Object.entries(attrsFor(row))) element.setAttribute(name, String(value))
      if (onOpen) element.setAttribute('tabindex', '0')
    })
  }

  function onKeydown(event) {
    const element = event.target.closest?.('tr.el-table__row')
    if (!element || event.target !== element) return
    const elements = bodyRows()
    const index = elements.indexOf(element)
    if (index < 0) return
    if (event.key === 'Enter' && onOpen) {
      event.preventDefault()
      onOpen(rows.value[index])
    } else if (event.key === 'ArrowDown' || event.key === 'j') {
      event.preventDefault()
      elements[Math.min(index + 1, elements.length - 1)]?.focus()
    } else if (event.key === 'ArrowUp' || event.key === 'k') {
      event.preventDefault()
      elements[Math.max(index - 1, 0)]?.focus()
    }
  }

  watch(rows, () => nextTick(apply), { deep: true, flush: 'post' })
  onMounted(() => {
    nextTick(apply)
    tableRef.value?.$el?.addEventListener('keydown', onKeydown)
  })
  onBeforeUnmount(() => tableRef.value?.$el?.removeEventListener('keydown', onKeydown))
  return { apply }
}
