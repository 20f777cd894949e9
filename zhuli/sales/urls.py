from django.urls import path

from . import board_views, views

app_name = "sales"
urlpatterns = [
    path("", views.opportunity_list_view, name="list"),
    path("new/", views.opportunity_create_view, name="create"),
    path("stages/", views.stages_settings, name="stages"),
    path("<int:pk>/", views.opportunity_detail, name="detail"),
    path("<int:pk>/edit/", views.opportunity_edit_view, name="edit"),
    path("<int:pk>/delete/", views.opportunity_delete_view, name="delete"),
    path("<int:pk>/move/", views.opportunity_move_view, name="move"),
    path("<int:pk>/win/", views.opportunity_win_view, name="win"),
    path("<int:pk>/lose/", views.opportunity_lose_view, name="lose"),
    path("<int:pk>/status/", views.opportunity_status_view, name="status"),
    # The kanban board (board_views.py).
    path("board/", board_views.board_view, name="board"),
    path("board/<int:pk>/move/", board_views.board_move, name="board_move"),
]
