// Permission → navigation: pure functions over the route table (tested in tests/nav.test.js).

/** May someone holding `permissions` open a page with this meta? Pages without a permission are open to all staff. */
export function allowed(meta, permissions) {
  const needed = meta?.permission
  if (!needed) return true
  const list = Array.isArray(needed) ? needed : [needed]
  return list.every((code) => (permissions || []).includes(code))
}

/**
 * The left menu for these permissions: [{name, path, title, icon, className}] in route-table order, with
 * entries that share meta.group gathered into {group, title, children} at the place of the first one.
 * Groups with no visible entry disappear.
 */
export function buildMenu(pages, permissions) {
  const menu = []
  const groups = new Map()
  for (const page of pages) {
    const meta = page.meta || {}
    if (!meta.menu || !allowed(meta, permissions)) continue
    const item = {
      name: page.name,
      path: `/${page.path}`,
      title: meta.title,
      icon: meta.icon || null,
      // .menu-<route name>, plus meta.menuClass when tests know the item by a shorter class (.menu-audit)
      className: [`menu-${page.name}`, meta.menuClass].filter(Boolean).join(' '),
    }
    if (!meta.group) {
      menu.push(item)
      continue
    }
    let group = groups.get(meta.group)
    if (!group) {
      group = { group: meta.group, title: meta.group, children: [] }
      groups.set(meta.group, group)
      menu.push(group)
    }
    group.children.push(item)
  }
  return menu
}

/** Where "home" goes: the first menu page this staff member may open, or null (then the 403 page). */
export function firstAllowedPage(pages, permissions) {
  const first = buildMenu(pages, permissions)[0]
  if (!first) return null
  return first.children ? first.children[0].name : first.name
}
