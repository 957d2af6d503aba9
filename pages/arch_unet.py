from pages.architecture import render

render("unet")
