"""Profile layer: the Profile value (counts, records, analysis, plans), its lifecycle, save/load.

Named `profiles`, not `profile`: `kit.profile` is the context manager, and a subpackage of the
same name would replace it as an attribute of `kit` when first imported. Nothing is imported
here, so `import kit` (which reaches kit.profiles.views) stays light: import the modules.
"""
