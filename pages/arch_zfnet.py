from pages.architecture import render

render("zfnet")
