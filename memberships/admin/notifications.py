from django.contrib import admin

from ..models import Partner

