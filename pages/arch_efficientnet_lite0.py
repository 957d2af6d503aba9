from pages.architecture import render

render("efficientnet_lite0")
