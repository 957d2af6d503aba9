from pages.architecture import render

render("nin")
