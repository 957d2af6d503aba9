from pages.architecture import render

render("mobilenet_v1")
