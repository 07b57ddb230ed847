// The merchant routes of the settings pages: shipping templates, staff and roles, shop settings (docs/api.md 3).
import { api } from './client.js'

// shipping templates
export const listShippingTemplates = () => api.get('/shipping-templates')
export const getShippingTemplate = (id) => api.get(`/shipping-templates/${id}`)
/** 422 answers carry details [{field: 'region_rules.0.first_fee', message}]: the editor shows them itself. */
export const createShippingTemplate = (body) => api.post('/shipping-templates', body, { silent: true })
export const updateShippingTemplate = (id, body) => api.put(`/shipping-templates/${id}`, body, { silent: true })
export const deleteShippingTemplate = (id) => api.del(`/shipping-templates/${id}`)

// staff and roles
export const listRoles = () => api.get('/roles')
export const listStaff = () => api.get('/staff')
export const createStaff = (body) => api.post('/staff', body, { silent: true })
export const updateStaff = (id, body) => api.patch(`/staff/${id}`, body, { silent: true })
export const resetStaffPassword = (id, newPassword) =>
  api.post(`/staff/${id}/password`, { new_password: newPassword }, { silent: true })

// shop settings
export const getShopSettings = () => api.get('/shop/settings')
export const updateShopSettings = (body) => api.patch('/shop/settings', body, { silent: true })

let provinces = null
/** Provinces (GB/T 2260) from the public region route, fetched once: [{code, name}]. */
export async function listProvinces() {
  if (!provinces) {
    const response = await fetch('/api/v1/regions', { headers: { Accept: 'application/json' } })
    if (!response.ok) throw new Error(`regions: HTTP ${response.status}`)
    provinces = (await response.json()).map(({ code, name }) => ({ code, name }))
  }
  return provinces
}
