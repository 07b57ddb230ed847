// Strings of the catalog pages: Chinese first, English with the same keys.
export default {
  zh: {},
  en: {},
}
