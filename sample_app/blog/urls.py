"""The blog's pages: /posts/, /posts/<pk>/, /posts/popular/, /dashboard/."""

from __future__ import annotations

from django.urls import path

from sample_app.blog import views

app_name = "blog"

urlpatterns = [
    path("posts/", views.post_list, name="post_list"),
    path("posts/popular/", views.popular_posts, name="popular_posts"),
    path("posts/<int:pk>/", views.PostDetailView.as_view(), name="post_detail"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
