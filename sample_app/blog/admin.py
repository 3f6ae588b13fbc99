"""The admin: a ModelAdmin per model whose list columns follow relations, as often first
written. Django's changelist loads what it can (a foreign key named in list_display makes it
select_related() every non-null foreign key), and the method columns query once per row."""

from __future__ import annotations

from django.contrib import admin

from sample_app.blog.models import Category, Comment, Like, Post, PostTag, Profile, Rating, Tag


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "category", "author_location", "comment_count", "tag_list")
    list_filter = ("published",)
    search_fields = ("title",)

    @admin.display(description="author's location")
    def author_location(self, post: Post) -> str:
        return post.author.profile.location

    @admin.display(description="comments")
    def comment_count(self, post: Post) -> int:
        return post.comments.count()

    @admin.display(description="tags")
    def tag_list(self, post: Post) -> str:
        return ", ".join(tag.name for tag in post.tags.all())


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    # Loads the user with each comment, and only the user: the post column follows another
    # relation, once per row.
    list_display = ("id", "user", "post_title", "is_approved")
    list_select_related = ("user",)

    @admin.display(description="post")
    def post_title(self, comment: Comment) -> str:
        return comment.post.title


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "post_count")

    @admin.display(description="posts")
    def post_count(self, tag: Tag) -> int:
        return tag.posts.count()


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "post_count")

    @admin.display(description="posts")
    def post_count(self, category: Category) -> int:
        return category.posts.count()


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "location", "website")


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("post", "user", "score")


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("post", "user", "created_at")


@admin.register(PostTag)
class PostTagAdmin(admin.ModelAdmin):
    list_display = ("post", "tag", "created_at")
