from pages.architecture import render

render("resnext50_32x4d")
