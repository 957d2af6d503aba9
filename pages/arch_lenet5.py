from pages.architecture import render

render("lenet5")
