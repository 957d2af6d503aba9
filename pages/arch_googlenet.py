from pages.architecture import render

render("googlenet")
