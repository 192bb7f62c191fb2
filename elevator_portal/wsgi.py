import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "elevator_portal.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, the apps, the URLconf) lives as long as the process: keep it out of the garbage
# collector's generations, so that its collections walk only what requests allocate (bench/README.md: the bulk upload
# and complaint intake spent about 15 % of their CPU in them).
gc.freeze()
