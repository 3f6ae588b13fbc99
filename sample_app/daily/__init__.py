"""Daily view counts keyed by (post, day): a composite primary key (Django 5.2 and later only).

settings.py installs this app only where Django has models.CompositePrimaryKey; the seed leaves
its table empty (notebook 04 fills it inside rolled-back transactions).
"""
