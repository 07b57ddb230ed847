// Smoke tests of the compiled mini-program (dist/build/mp-weixin, made by `make mp`) in miniprogram-simulate.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'jsdom',
  testMatch: ['**/*.test.js'],
  testTimeout: 20000,
}
