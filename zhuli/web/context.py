def layout(request):
    return {}
