// The shop as 店铺设置 describes it to shoppers: GET /api/v1/shop (name, logo, service phone, payment channels).
import { api } from '@/api/http.js'

/** The shop's profile, or null when it cannot be read (pages then keep their defaults). */
export async function fetchShop() {
  try {
    return await api.get('/shop')
  } catch (e) {
    return null
  }
}
