"""Local fakes of the partner servers (WeChat now; WeChat Pay, Alipay, couriers next), one module each."""
