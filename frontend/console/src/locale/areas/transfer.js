// Strings of the transfer pages: Chinese first, English with the same keys.
export default {
  zh: {},
  en: {},
}
