"""Server-rendered pages for people (staff pages under /, sign-in at /login) and the
public status page (/status), mounted into the API's app by `web.app.mount`."""
