"""The import form: a file to preview, or (from the preview) its text to apply."""

from django import forms

from referee.assignments.csv_import import MAX_FILE_BYTES


class ImportForm(forms.Form):
    file = forms.FileField(required=False, label="CSV file", widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
                           help_text="Columns proposal_uuid and reviewer_email (others are ignored: an exported "
                                     f"assignments file can be edited and imported). At most {MAX_FILE_BYTES // 1024} KiB.")
    # The previewed file's text, posted back by the apply button: applying checks it all again.
    content = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    override_workload_limit = forms.BooleanField(
        required=False, label="Assign beyond a reviewer's maximum load (each override is recorded)")

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_FILE_BYTES:
                self.add_error("file", f"The file is larger than {MAX_FILE_BYTES // 1024} KiB: split it.")
                return data
            data["content"] = upload.read()
        elif data.get("content"):
            data["content"] = data["content"].encode()
        else:
            self.add_error("file", "Choose a CSV file to import.")
        return data
