// Strings of the shop pages: Chinese first, English with the same keys.
export default {
  zh: {},
  en: {},
}
