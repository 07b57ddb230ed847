// Strings of the fulfilment pages: Chinese first, English with the same keys.
export default {
  zh: {},
  en: {},
}
