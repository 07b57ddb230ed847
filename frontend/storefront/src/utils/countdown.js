// A countdown to a deadline the server gave in seconds (an order's time to pay, a friend-pay link, the SMS
// resend wait): `remaining` whole seconds, read from the clock once a second (not counted down tick by tick, so
// it is right again after the page was in the background). Keep one in data() so `remaining` is reactive, and
// stop() it in onUnload.
export class Countdown {
  /** onEnd(): called when the time is up, also at once by start(0) (a deadline already past). */
  constructor(onEnd = null) {
    this.onEnd = onEnd
    this.remaining = 0
    this.deadlineAt = 0
    this.timer = null
  }

  start(seconds) {
    this.stop()
    this.deadlineAt = Date.now() + Math.max(0, Number(seconds) || 0) * 1000
    this.tick()
    if (this.remaining > 0) this.timer = setInterval(() => this.tick(), 1000)
  }

  stop() {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Stop at zero without calling onEnd (nothing to count down to). */
  clear() {
    this.stop()
    this.remaining = 0
  }

  tick() {
    this.remaining = Math.max(0, Math.ceil((this.deadlineAt - Date.now()) / 1000))
    if (this.remaining > 0) return
    this.stop()
    if (this.onEnd) this.onEnd()
  }
}
