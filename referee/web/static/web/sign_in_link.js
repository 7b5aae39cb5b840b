// The sign-in link's page: a browser that runs scripts goes on at once (the reader clicked the
// link in the mail already); the form's button is there for one that does not.
document.getElementById("sign-in-by-link").submit();
