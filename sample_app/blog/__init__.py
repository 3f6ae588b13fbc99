"""The blog app: the optimization guide's models (tables blog_post, blog_comment, ...)."""
