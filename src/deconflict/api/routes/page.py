"""The map page at ``/`` and its static files under ``/static`` (the package's ``web/``)."""

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["router", "static_files"]

WEB = resources.files("deconflict") / "web"

router = APIRouter()


@router.get("/", include_in_schema=False, response_model=None)
def index() -> HTMLResponse | JSONResponse:
    """The map page; where the package ships none, where the API is."""
    page = WEB / "index.html"
    if page.is_file():
        return HTMLResponse(page.read_text(encoding="utf-8"))
    return JSONResponse({"service": "deconflict", "api": "/v1", "openapi": "/openapi.json"})


def static_files() -> StaticFiles:
    """The page's assets: a fixed directory of the installed package, served by Starlette
    (which refuses absolute paths, ``..`` and links leading out of it)."""
    with resources.as_file(WEB / "static") as static_dir:
        return StaticFiles(directory=static_dir, follow_symlink=False)
