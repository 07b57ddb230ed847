// Strings of the customers pages: Chinese first, English with the same keys.
export default {
  zh: {},
  en: {},
}
