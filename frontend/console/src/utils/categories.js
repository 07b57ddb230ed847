// The flat category list of GET /categories as a tree (parents before children, by sort order then id), in the
// shape el-tree-select / el-tree take: { value, label, children, category }.
export function categoryTree(categories) {
  const byParent = new Map()
  for (const c of categories) {
    const key = c.parent_id ?? 0
    if (!byParent.has(key)) byParent.set(key, [])
    byParent.get(key).push(c)
  }
  const build = (parent) =>
    (byParent.get(parent) || [])
      .sort((a, b) => a.sort_order - b.sort_order || a.id - b.id)
      .map((c) => ({ value: c.id, label: c.name, category: c, children: build(c.id) }))
  return build(0)
}
