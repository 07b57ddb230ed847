"""Roles and what each may do. Every admin route declares the permission it needs.

Permissions are ``area.action`` strings; a role is a set of them. ``owner`` has all.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "catalog.read": "查看商品",
    "catalog.write": "编辑商品与类目",
    "inventory.write": "调整库存",
    "orders.read": "查看订单",
    "orders.ship": "订单发货",
    "orders.cancel": "取消订单",
    "aftersales.manage": "售后处理（审核、确认退货、退款）",
    "shipping.write": "编辑运费模板",
    "reviews.moderate": "评价管理（回复、隐藏）",
    "shoppers.read": "查看顾客",
    "balance.adjust": "调整顾客余额",
    "payments.reconcile": "支付对账与补单查询",
    "staff.manage": "管理员工与角色",
    "audit.read": "查看操作日志",
    "media.upload": "上传图片",
    "content.write": "店铺装修",
    "reports.read": "查看经营数据（首页看板）",
    "settings.manage": "店铺设置（名称、标志、订单时限、支付方式）",
}

ROLES: dict[str, dict[str, object]] = {
    "owner": {"label": "店主", "permissions": frozenset(PERMISSIONS)},
    "operator": {
        "label": "运营",
        "permissions": frozenset(
            {
                "catalog.read", "catalog.write", "inventory.write", "orders.read", "orders.cancel",
                "aftersales.manage", "shipping.write", "reviews.moderate", "shoppers.read", "media.upload",
                "audit.read", "payments.reconcile", "content.write", "reports.read",
            }
        ),
    },
    "customer_service": {
        "label": "客服",
        "permissions": frozenset(
            {"catalog.read", "orders.read", "orders.cancel", "aftersales.manage", "reviews.moderate", "shoppers.read"}
        ),
    },
    "warehouse": {
        "label": "仓库",
        "permissions": frozenset({"catalog.read", "inventory.write", "orders.read", "orders.ship"}),
    },
}


def role_permissions(role: str) -> frozenset[str]:
    entry = ROLES.get(role)
    return entry["permissions"] if entry else frozenset()  # type: ignore[return-value]


def has_permission(role: str, permission: str) -> bool:
    return permission in role_permissions(role)
