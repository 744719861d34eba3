"""Silver assets: one module per entity, plus the reference rates."""

from retail_platform.assets.silver import (
    customers,
    inventory,
    orders,
    partners,
    payments,
    products,
    reference,
    reviews,
)

SILVER_MODULES = (orders, payments, products, customers, reviews, partners, inventory, reference)
