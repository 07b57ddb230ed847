// Strings of the dashboard pages: Chinese first, English with the same keys.
export default {
  zh: {},
  en: {},
}
