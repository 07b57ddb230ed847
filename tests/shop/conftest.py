"""Shop settings fixtures: the payments tests' WeChat Pay and Alipay sandboxes, so channel rules are tested
against real (sandboxed) gateways."""

from tests.payments.conftest import (  # noqa: F401
    alipay,
    alipay_sandbox,
    app,
    gateways,
    sandbox,
    wechatpay,
)
