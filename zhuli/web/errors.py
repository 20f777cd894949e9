from django.shortcuts import render


def handler403(request, exception=None):
    return render(request, "web/error.html", {"code": 403, "message": "您没有权限访问此页面"}, status=403)


def handler404(request, exception=None):
    return render(request, "web/error.html", {"code": 404, "message": "页面不存在或无权查看"}, status=404)


def handler500(request):
    return render(request, "web/error.html", {"code": 500, "message": "服务器出错了，请稍后再试"}, status=500)
