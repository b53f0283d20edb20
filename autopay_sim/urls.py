from django.urls import path

app_name = "autopay_sim"
urlpatterns: list = []
