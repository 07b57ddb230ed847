"""Imports every area's tables so ``Base.metadata`` is complete (Alembic, tests, ``create_all``)."""

from qingmall.aftersales import models as aftersales_models  # noqa: F401
from qingmall.cart import models as cart_models  # noqa: F401
from qingmall.catalog import models as catalog_models  # noqa: F401
from qingmall.catalog import transfer_models as catalog_transfer_models  # noqa: F401
from qingmall.content import models as content_models  # noqa: F401
from qingmall.core.db import Base
from qingmall.inventory import models as inventory_models  # noqa: F401
from qingmall.orders import models as orders_models  # noqa: F401
from qingmall.payments import models as payments_models  # noqa: F401
from qingmall.reviews import models as reviews_models  # noqa: F401
from qingmall.shipping import models as shipping_models  # noqa: F401
from qingmall.shop import models as shop_models  # noqa: F401
from qingmall.shoppers import models as shoppers_models  # noqa: F401
from qingmall.shoppers import upload_models as shopper_upload_models  # noqa: F401
from qingmall.staff import models as staff_models  # noqa: F401
from qingmall.wallet import models as wallet_models  # noqa: F401

metadata = Base.metadata
