// The merchant route of the dashboard (首页看板, reports.read): figures of today, yesterday and the last 7 or 30
// Beijing days, top products and the work queue. Money is fen (docs/api.md section 3, docs/console.md).
import { api } from './client.js'

/** days: 7 or 30 */
export const getDashboard = (days = 7) => api.get('/dashboard', { days })
