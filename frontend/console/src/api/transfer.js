// Product CSV export and import (docs/console.md "Product CSV import and export"; catalog.read / catalog.write).
// A download needs the staff token, which a plain <a href> cannot send, so files are fetched with the
// Authorization header and handed to the browser as a blob.
import { api, API_BASE, ApiError, getToken, toQuery } from './client.js'

export const IMPORT_MAX_BYTES = 5 * 1024 * 1024

export const startImport = (file) => api.upload('/products/imports', file)
export const getImport = (id) => api.get(`/products/imports/${id}`, undefined, { silent: true })

/** The filename the server chose (Content-Disposition), or `fallback`. */
export function filenameOf(response, fallback) {
  const header = response.headers.get('Content-Disposition') || ''
  const match = /filename="?([^";]+)"?/i.exec(header)
  return match ? match[1] : fallback
}

/** Fetch a file of the merchant API and save it; throws ApiError with the server's message on failure. */
export async function downloadFile(path, query, fallbackName) {
  const token = getToken()
  let response
  try {
    response = await fetch(`${API_BASE}${path}${toQuery(query)}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    })
  } catch {
    throw new ApiError(0, 'network_error', '')
  }
  if (!response.ok) {
    let body = null
    try {
      body = await response.json()
    } catch {
      body = null
    }
    throw new ApiError(response.status, body?.code || `http_${response.status}`, body?.message || '', body?.details)
  }
  const blob = await response.blob()
  const name = filenameOf(response, fallbackName)
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = name
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 1000)
  return name
}

/** The product list's filters (as the list page holds them) → the export's query. */
export function exportQuery(filters, lowStockThreshold) {
  return {
    keyword: (filters.keyword || '').trim(),
    category_id: filters.category_id || '',
    is_on_shelf: filters.shelf === 'on' ? 'true' : filters.shelf === 'off' ? 'false' : '',
    low_stock: filters.low_stock ? 'true' : '',
    low_stock_threshold: filters.low_stock ? lowStockThreshold : '',
  }
}

export const exportProducts = (filters, lowStockThreshold = 10) =>
  downloadFile('/products/export.csv', exportQuery(filters, lowStockThreshold), 'products.csv')
export const downloadTemplate = () =>
  downloadFile('/products/export.csv', { template: 'true' }, 'products-template.csv')
export const downloadImportErrors = (id) =>
  downloadFile(`/products/imports/${id}/errors.csv`, undefined, `import-${id}-errors.csv`)
