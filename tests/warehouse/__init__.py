"""A second test project, unlike the blog: a warehouse with other names and relation kinds.

Relations: forward FK (Product.vendor, Product.zone), self-referential FK (Zone.parent_zone),
M2M without a through model (Product.labels) and with one (Product.bins via Placement),
one-to-one (Spec.product, read back as Product.spec), multi-table inheritance
(PerishableProduct), a GenericForeignKey (Remark.target) with GenericRelations
(Product.remarks, Supplier.remarks), custom managers and QuerySet methods
(Product.available.cheap()), methods and properties that query per row, and a model on a
second database (AuditEntry, routed to the "other" alias). The kit's tests run their
features on it, so nothing is shaped for the blog alone.
"""
