from pages.architecture import render

render("densenet121")
