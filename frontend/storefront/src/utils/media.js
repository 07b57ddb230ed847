// Small pictures of stored images. The API stores every uploaded image with a WebP thumbnail beside it
// ("/media/images/ab/<sha256>.png" -> "/media/images/ab/<sha256>.thumb.webp", as qingmall/core/storage.py
// thumbnail_url); lists show the thumbnail, never the full picture.

const STORED_IMAGE = /^(.*\/images\/[0-9a-f]{2}\/[0-9a-f]{64})\.(jpg|jpeg|png|webp|gif)$/i

/** The thumbnail of a stored image URL; other URLs (a CDN, a thumbnail already) unchanged. */
export function thumbUrl(url) {
  if (!url) return ''
  const match = STORED_IMAGE.exec(url)
  return match ? `${match[1]}.thumb.webp` : url
}

/**
 * The picture to show small for an API row (a cart, checkout or order line; a product): its `thumbnail_url` when
 * the API sends one, else the thumbnail of its `field` (image_url; main_image_url for products).
 */
export function thumbOf(row, field = 'image_url') {
  if (!row) return ''
  return row.thumbnail_url || thumbUrl(row[field])
}
