/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcInterpreterDialog"

#include "config.h"

#include "hc-application.h"
#include "hc-interpreter-dialog.h"
#include "hc-phone.h"

#include <glib/gi18n.h>
#include <qrencode.h>
#include <string.h>

/* Languages offered for an interpreter: the code goes into the guest's name
 * (interpreter-es), the word is what the provider reads. */
static const struct
{
  const char *code;
  const char *name;
} languages[] = {
  { "es", N_("Spanish") },
  { "zh", N_("Chinese") },
  { "vi", N_("Vietnamese") },
  { "ar", N_("Arabic") },
  { "fr", N_("French") },
  { "pt", N_("Portuguese") },
  { "ru", N_("Russian") },
  { "ko", N_("Korean") },
  { "asl", N_("American Sign Language") },
};

/* Module size and quiet zone of the QR code, in pixels and modules. */
#define QR_SCALE  4
#define QR_MARGIN 4

struct _HcInterpreterDialog
{
  AdwWindow        parent_instance;

  HcSession       *session;
  char            *room_sid;
  GCancellable    *cancellable;
  char            *link;
  guint            refresh_id;       /* while shown: who joined changes on its own */
  gboolean         name_edited;
  gboolean         filling_name;

  HcCallEngine    *engine;           /* the visit: its room, its phone-call events */
  GSettings       *settings;
  GPtrArray       *line_numbers;     /* per line_row item: number, digits, label */
  char            *call_sid;         /* the phone call shown, if any */
  char            *call_status;
  GPtrArray       *early_events;     /* statuses that came before the dial's answer */
  GString         *timeline;

  AdwToastOverlay *toast_overlay;
  GtkWidget       *service_group;
  GtkWidget       *service_button;
  GtkWidget       *phone_group;
  AdwComboRow     *line_row;
  AdwEntryRow     *number_row;
  AdwEntryRow     *digits_row;
  GtkLabel        *phone_error;
  GtkWidget       *call_button;
  GtkWidget       *call_group;
  GtkLabel        *timeline_label;
  GtkGrid         *keypad;
  GtkWidget       *hangup_button;
  AdwComboRow     *role_row;
  AdwComboRow     *language_row;
  AdwEntryRow     *name_row;
  AdwEntryRow     *sms_row;
  GtkLabel        *invite_error;
  GtkSpinButton   *lifetime_spin;
  GtkWidget       *create_button;
  GtkWidget       *link_group;
  AdwActionRow    *link_row;
  GtkWidget       *copy_button;
  GtkPicture      *qr_picture;
  GtkListBox      *invites_list;
};

G_DEFINE_FINAL_TYPE (HcInterpreterDialog, hc_interpreter_dialog, ADW_TYPE_WINDOW)

static void refresh_invites (HcInterpreterDialog *self);

static void
show_toast (HcInterpreterDialog *self,
            const char          *message)
{
  if (self->toast_overlay != NULL)
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

/* The guest's name follows the choices until the provider types their own. */
static void
suggest_name (HcInterpreterDialog *self)
{
  guint role = adw_combo_row_get_selected (self->role_row);
  guint language = adw_combo_row_get_selected (self->language_row);
  g_autofree char *name = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->language_row), role == 0);
  if (self->name_edited)
    return;
  if (role == 0 && language < G_N_ELEMENTS (languages))
    name = g_strdup_printf ("interpreter-%s", languages[language].code);
  else
    name = g_strdup (role == 1 ? "family" : "guest");
  self->filling_name = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  self->filling_name = FALSE;
}

/* The name must be there; a number to text the link to is checked as typed. */
static void
validate_invite_form (HcInterpreterDialog *self)
{
  const char *number = gtk_editable_get_text (GTK_EDITABLE (self->sms_row));
  g_autofree char *normalized = NULL;
  g_autoptr(GError) error = NULL;
  gboolean number_ok = *number == '\0' ||
                       (normalized = hc_phone_normalize (number, &error)) != NULL;

  if (number_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->sms_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->sms_row), "error");
  gtk_label_set_text (self->invite_error, error ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->invite_error), error != NULL);
  gtk_widget_set_sensitive (self->create_button,
                            number_ok &&
                            *gtk_editable_get_text (GTK_EDITABLE (self->name_row)) != '\0');
}

static void
on_name_changed (HcInterpreterDialog *self)
{
  if (!self->filling_name)
    self->name_edited = TRUE;
  validate_invite_form (self);
}

GdkTexture *
hc_interpreter_dialog_qr_texture (const char  *text,
                                  GError     **error)
{
  QRcode *code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  g_autoptr(GBytes) bytes = NULL;
  guchar *pixels;
  int modules;
  int size;

  if (code == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The link is too long for a QR code."));
      return NULL;
    }
  modules = code->width + 2 * QR_MARGIN;
  size = modules * QR_SCALE;
  /* RGB: GTK 4.8 has no single-channel memory format. */
  pixels = g_malloc ((gsize) size * size * 3);
  memset (pixels, 0xff, (gsize) size * size * 3);
  for (int y = 0; y < code->width; y++)
    for (int x = 0; x < code->width; x++)
      if (code->data[y * code->width + x] & 1)
        for (int dy = 0; dy < QR_SCALE; dy++)
          memset (pixels + ((gsize) ((y + QR_MARGIN) * QR_SCALE + dy) * size +
                            (gsize) (x + QR_MARGIN) * QR_SCALE) * 3,
                  0x00, QR_SCALE * 3);
  QRcode_free (code);
  bytes = g_bytes_new_take (pixels, (gsize) size * size * 3);
  return gdk_memory_texture_new (size, size, GDK_MEMORY_R8G8B8, bytes, (gsize) size * 3);
}

static void
on_invite_revoked (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HcInterpreterDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = hc_session_api_finish (HC_SESSION (source), result, &error);

  if (root == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }
  show_toast (self, _("The invitation was revoked"));
  refresh_invites (self);
}

static void
on_revoke_clicked (GtkButton           *button,
                   HcInterpreterDialog *self)
{
  const char *jti = g_object_get_data (G_OBJECT (button), "hc-jti");
  g_autofree char *escaped_room = g_uri_escape_string (self->room_sid, NULL, FALSE);
  g_autofree char *escaped_jti = g_uri_escape_string (jti, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s/GuestTokens/%s", escaped_room,
                                           escaped_jti);

  hc_session_api_async (self->session, "DELETE", path, NULL, self->cancellable,
                        on_invite_revoked, g_object_ref (self));
}

/* The row's subtitle: whether the guest came in, and until when the link works
 * (markup: AdwActionRow's subtitle is). */
static char *
invite_subtitle (JsonObject *invite)
{
  const char *expires = json_object_get_string_member_with_default (invite, "date_expires", "");
  gboolean joined = json_object_get_boolean_member_with_default (invite, "joined", FALSE);
  g_autoptr(GDateTime) expiry = g_date_time_new_from_iso8601 (expires, NULL);
  g_autoptr(GDateTime) local = expiry ? g_date_time_to_local (expiry) : NULL;
  g_autofree char *time = local ? g_date_time_format (local, "%H:%M") : g_strdup (expires);
  /* Translators: whether the guest came in, and until when the link works. */
  g_autofree char *subtitle = g_strdup_printf (_("%s · valid until %s"),
                                               joined ? _("In the visit") : _("Not joined yet"),
                                               time);

  return g_markup_escape_text (subtitle, -1);
}

static GtkWidget *
create_invite_row (HcInterpreterDialog *self,
                   JsonObject          *invite)
{
  const char *identity = json_object_get_string_member_with_default (invite, "identity", "");
  const char *jti = json_object_get_string_member_with_default (invite, "jti", "");
  g_autofree char *subtitle = invite_subtitle (invite);
  g_autofree char *revoke_label = g_strdup_printf (_("Revoke %s"), identity);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *revoke = gtk_button_new_with_label (_("Revoke"));

  g_object_set_data_full (G_OBJECT (row), "hc-jti", g_strdup (jti), g_free);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), identity);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (revoke, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (revoke, "destructive-action");
  gtk_accessible_update_property (GTK_ACCESSIBLE (revoke), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  revoke_label, -1);
  g_object_set_data_full (G_OBJECT (revoke), "hc-jti", g_strdup (jti), g_free);
  g_signal_connect (revoke, "clicked", G_CALLBACK (on_revoke_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), revoke);
  return row;
}

static void
on_invites_listed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HcInterpreterDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = hc_session_api_finish (HC_SESSION (source), result, &error);
  JsonArray *invites = NULL;
  g_autoptr(GHashTable) rows = NULL;
  GtkWidget *child;

  if (root == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }
  /* A hidden dialog is not touched: GTK 4.8's accessibility code trips over
   * rows changing in a window that is not on screen. It refreshes when shown. */
  if (self->invites_list == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  if (JSON_NODE_HOLDS_OBJECT (root))
    invites = json_object_get_array_member (json_node_get_object (root), "guest_tokens");

  /* Rows are updated in place, not rebuilt: the list refreshes every few seconds, and
   * a rebuilt row would take the keyboard focus (and a screen reader's place) from
   * whoever is on its Revoke button. */
  rows = g_hash_table_new (g_str_hash, g_str_equal);
  child = gtk_widget_get_first_child (GTK_WIDGET (self->invites_list));
  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);
      const char *jti = g_object_get_data (G_OBJECT (child), "hc-jti");
      gboolean listed = FALSE;

      for (guint i = 0; jti != NULL && invites != NULL && !listed &&
                        i < json_array_get_length (invites); i++)
        {
          JsonObject *invite = json_array_get_object_element (invites, i);

          listed = invite != NULL &&
                   g_strcmp0 (jti, json_object_get_string_member_with_default (invite, "jti",
                                                                               "")) == 0;
        }
      if (listed)
        g_hash_table_insert (rows, (gpointer) jti, child);
      else
        gtk_list_box_remove (self->invites_list, child);
      child = next;
    }
  for (guint i = 0; invites != NULL && i < json_array_get_length (invites); i++)
    {
      JsonObject *invite = json_array_get_object_element (invites, i);
      const char *jti;
      GtkWidget *row;

      if (invite == NULL)
        continue;
      jti = json_object_get_string_member_with_default (invite, "jti", "");
      row = g_hash_table_lookup (rows, jti);
      if (row != NULL)
        {
          g_autofree char *subtitle = invite_subtitle (invite);

          if (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), subtitle) != 0)
            adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
        }
      else
        {
          row = create_invite_row (self, invite);
          gtk_list_box_append (self->invites_list, row);
          g_hash_table_insert (rows, g_object_get_data (G_OBJECT (row), "hc-jti"), row);
        }
    }
  if (g_hash_table_size (rows) == 0 &&
      gtk_widget_get_first_child (GTK_WIDGET (self->invites_list)) == NULL)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No active invitations"));
      gtk_list_box_append (self->invites_list, row);
    }
}

static void
refresh_invites (HcInterpreterDialog *self)
{
  g_autofree char *escaped = g_uri_escape_string (self->room_sid, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s/GuestTokens", escaped);

  hc_session_api_async (self->session, "GET", path, NULL, self->cancellable, on_invites_listed,
                        g_object_ref (self));
}

static void
on_invite_created (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HcInterpreterDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = hc_session_api_finish (HC_SESSION (source), result, &error);
  g_autoptr(GdkTexture) qr = NULL;
  g_autofree char *room = NULL;
  g_autofree char *token = NULL;
  JsonObject *object;

  if (self->create_button != NULL)
    gtk_widget_set_sensitive (self->create_button, TRUE);
  if (root == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }
  if (self->link_row == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  object = json_node_get_object (root);

  /* The room and the token go in the fragment, which browsers never send to a
   * server; the page drops it from the address bar once read. */
  room = g_uri_escape_string (self->room_sid, NULL, FALSE);
  token = g_uri_escape_string (json_object_get_string_member_with_default (object, "token", ""),
                               NULL, FALSE);
  g_free (self->link);
  self->link = g_strdup_printf ("%s/call.html#room=%s&token=%s",
                                hc_session_get_server_url (self->session), room, token);
  {
    /* Row subtitles are markup; a link has ampersands. */
    g_autofree char *escaped = g_markup_escape_text (self->link, -1);

    adw_action_row_set_subtitle (self->link_row, escaped);
  }
  qr = hc_interpreter_dialog_qr_texture (self->link, &error);
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (qr));
  gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), qr != NULL);
  gtk_widget_set_visible (self->link_group, TRUE);
  if (qr == NULL)
    show_toast (self, error->message);
  else if (json_object_has_member (object, "sms") &&
           JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "sms")))
    {
      JsonObject *sms = json_object_get_object_member (object, "sms");
      const char *status = json_object_get_string_member_with_default (sms, "status", "");
      const char *why = json_object_get_string_member_with_default (sms, "error", "");

      if (g_strcmp0 (why, "sms-opted-out") == 0)
        show_toast (self, _("Not texted: that number has opted out of texts from the clinic"));
      else if (g_strcmp0 (status, "failed") == 0 || g_strcmp0 (status, "suppressed") == 0)
        show_toast (self, _("The link could not be texted; copy it or show the QR code"));
      else
        show_toast (self, _("The link is on its way by text"));
    }
  refresh_invites (self);
}

static void
on_create_clicked (HcInterpreterDialog *self)
{
  g_autoptr(GHashTable) form = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autofree char *escaped = g_uri_escape_string (self->room_sid, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s/GuestTokens", escaped);
  int minutes = gtk_spin_button_get_value_as_int (self->lifetime_spin);

  g_hash_table_insert (form, "Identity",
                       g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  g_hash_table_insert (form, "Ttl", g_strdup_printf ("%d", minutes * 60));
  if (*gtk_editable_get_text (GTK_EDITABLE (self->sms_row)) != '\0')
    g_hash_table_insert (form, "To",
                         g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->sms_row))));
  gtk_widget_set_sensitive (self->create_button, FALSE);
  hc_session_api_async (self->session, "POST", path, form, self->cancellable, on_invite_created,
                        g_object_ref (self));
}

static void
on_copy_clicked (HcInterpreterDialog *self)
{
  if (self->link == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->link);
  show_toast (self, _("Link copied"));
}

/* Call by phone */

typedef struct
{
  char *number;
  char *digits;
  char *label;
} Line;

static void
line_free (Line *line)
{
  g_free (line->number);
  g_free (line->digits);
  g_free (line->label);
  g_free (line);
}

static const char * const final_statuses[] = {
  "completed", "busy", "no-answer", "failed", "canceled", NULL,
};

static const char *
describe_status (const char *status)
{
  static const struct { const char *status; const char *words; } names[] = {
    { "initiated", N_("Initiated") }, { "ringing", N_("Ringing") },
    { "answered", N_("Answered") }, { "completed", N_("Completed") },
    { "busy", N_("Busy") }, { "no-answer", N_("No answer") }, { "failed", N_("Failed") },
    { "canceled", N_("Canceled") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (names[i].status, status) == 0)
      return _(names[i].words);
  return status;
}

static void
set_phone_error (HcInterpreterDialog *self,
                 const char          *message)
{
  gtk_label_set_text (self->phone_error, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->phone_error), message != NULL);
}

/* The number and digits are checked as they are typed; the server checks again. */
static gboolean
validate_phone_form (HcInterpreterDialog *self)
{
  const char *number = gtk_editable_get_text (GTK_EDITABLE (self->number_row));
  const char *digits = gtk_editable_get_text (GTK_EDITABLE (self->digits_row));
  g_autofree char *normalized = NULL;
  g_autoptr(GError) error = NULL;
  gboolean calling = self->call_sid != NULL &&
                     !g_strv_contains (final_statuses,
                                       self->call_status != NULL ? self->call_status : "");
  gboolean ok = TRUE;

  gtk_widget_remove_css_class (GTK_WIDGET (self->number_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->digits_row), "error");
  if (*number != '\0' && (normalized = hc_phone_normalize (number, &error)) == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->number_row), "error");
      set_phone_error (self, error->message);
      ok = FALSE;
    }
  else if (strspn (digits, "0123456789*#ABCDw") != strlen (digits))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->digits_row), "error");
      set_phone_error (self, _("Digits may only be 0–9, *, #, A–D, and w for a half-second pause."));
      ok = FALSE;
    }
  else if (strlen (digits) > 64)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->digits_row), "error");
      set_phone_error (self, _("At most 64 digits and pauses."));
      ok = FALSE;
    }
  else
    set_phone_error (self, NULL);
  gtk_widget_set_sensitive (self->call_button, ok && *number != '\0' && !calling);
  return ok;
}

static void
on_phone_form_changed (HcInterpreterDialog *self)
{
  validate_phone_form (self);
}

static void
on_line_selected (HcInterpreterDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->line_row);
  Line *line;

  if (self->line_numbers == NULL || selected == 0 || selected >= self->line_numbers->len)
    return;
  line = g_ptr_array_index (self->line_numbers, selected);
  gtk_editable_set_text (GTK_EDITABLE (self->number_row), line->number);
  gtk_editable_set_text (GTK_EDITABLE (self->digits_row), line->digits);
}

/* The admin's interpreter lines (GSettings interpreter-lines: language, number,
 * digits), after "Another number". */
static void
fill_lines (HcInterpreterDialog *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GVariant) lines = g_settings_get_value (self->settings, "interpreter-lines");
  GVariantIter iter;
  const char *language;
  const char *number;
  const char *digits;
  Line *other = g_new0 (Line, 1);

  g_clear_pointer (&self->line_numbers, g_ptr_array_unref);
  self->line_numbers = g_ptr_array_new_with_free_func ((GDestroyNotify) line_free);
  gtk_string_list_append (names, _("Another number"));
  g_ptr_array_add (self->line_numbers, other);
  g_variant_iter_init (&iter, lines);
  while (g_variant_iter_next (&iter, "(&s&s&s)", &language, &number, &digits))
    {
      Line *line = g_new0 (Line, 1);
      /* Translators: an interpreter phone line, e.g. "Spanish interpreters (+18005550100)". */
      g_autofree char *name = g_strdup_printf (_("%s interpreters (%s)"), language, number);

      line->number = g_strdup (number);
      line->digits = g_strdup (digits);
      /* Translators: how a phone line shows in the visit, e.g. "Interpreter (Spanish)". */
      line->label = g_strdup_printf (_("Interpreter (%s)"), language);
      gtk_string_list_append (names, name);
      g_ptr_array_add (self->line_numbers, line);
    }
  adw_combo_row_set_model (self->line_row, G_LIST_MODEL (names));
}

static void
show_call (HcInterpreterDialog *self,
           JsonObject          *call)
{
  const char *sid = json_object_get_string_member_with_default (call, "sid", NULL);
  const char *status = json_object_get_string_member_with_default (call, "status", NULL);
  const char *message = json_object_get_string_member_with_default (call, "error_message", NULL);
  const char *reason = json_object_get_string_member_with_default (call, "sip_reason", NULL);
  gboolean final;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M:%S");

  if (sid == NULL || status == NULL)
    return;
  /* Events can overtake the answer to our own request (a line that is busy
   * answers at once): kept until we know the call's SID. */
  if (self->call_sid != NULL && self->call_sid[0] == '\0')
    {
      g_ptr_array_add (self->early_events, json_object_ref (call));
      return;
    }
  if (g_strcmp0 (sid, self->call_sid) != 0)
    return;
  if (g_strcmp0 (status, self->call_status) == 0)
    return;
  g_free (self->call_status);
  self->call_status = g_strdup (status);
  final = g_strv_contains (final_statuses, status);

  if (self->timeline->len > 0)
    g_string_append (self->timeline, " → ");
  g_string_append_printf (self->timeline, "%s %s", describe_status (status), time);
  if (g_strcmp0 (status, "failed") == 0 && (message != NULL || reason != NULL))
    g_string_append_printf (self->timeline, " (%s)", message ? message : reason);
  gtk_label_set_text (self->timeline_label, self->timeline->str);
  gtk_widget_set_visible (self->call_group, TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->keypad), g_strcmp0 (status, "answered") == 0);
  gtk_widget_set_sensitive (self->hangup_button, !final);
  if (final)
    validate_phone_form (self);
}

static void
on_phone_call_status (HcCallEngine        *engine,
                      JsonObject          *call,
                      HcInterpreterDialog *self)
{
  show_call (self, call);
}

static void
on_call_placed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HcInterpreterDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = hc_session_api_finish (HC_SESSION (source), result, &error);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_clear_pointer (&self->call_sid, g_free);
      g_ptr_array_set_size (self->early_events, 0);
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_phone_error (self, error->message);
      if (self->call_button != NULL)
        validate_phone_form (self);
      return;
    }
  if (self->timeline_label == NULL)
    return;
  g_free (self->call_sid);
  self->call_sid = g_strdup (json_object_get_string_member_with_default (
                               json_node_get_object (root), "sid", NULL));
  show_call (self, json_node_get_object (root));
  for (guint i = 0; i < self->early_events->len; i++)
    show_call (self, g_ptr_array_index (self->early_events, i));
  g_ptr_array_set_size (self->early_events, 0);
}

static void
on_call_clicked (HcInterpreterDialog *self)
{
  g_autoptr(GHashTable) form = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autofree char *escaped = g_uri_escape_string (hc_call_engine_get_room_sid (self->engine),
                                                  NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s/PhoneCalls", escaped);
  guint line = adw_combo_row_get_selected (self->line_row);
  const char *digits = gtk_editable_get_text (GTK_EDITABLE (self->digits_row));

  if (!validate_phone_form (self))
    return;
  g_hash_table_insert (form, "To", g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->number_row))));
  if (*digits != '\0')
    g_hash_table_insert (form, "SendDigits", g_strdup (digits));
  if (self->line_numbers != NULL && line > 0 && line < self->line_numbers->len)
    g_hash_table_insert (form, "Label",
                         g_strdup (((Line *) g_ptr_array_index (self->line_numbers, line))->label));
  /* Until the server answers, the call is under way: no second one. */
  g_free (self->call_sid);
  self->call_sid = g_strdup ("");
  g_ptr_array_set_size (self->early_events, 0);
  g_clear_pointer (&self->call_status, g_free);
  g_string_truncate (self->timeline, 0);
  gtk_widget_set_sensitive (self->call_button, FALSE);
  hc_session_api_async (self->session, "POST", path, form, self->cancellable, on_call_placed,
                        g_object_ref (self));
}

static void
on_phone_request_done (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(HcInterpreterDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = hc_session_api_finish (HC_SESSION (source), result, &error);

  if (root == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, error->message);
}

static void
call_request (HcInterpreterDialog *self,
              const char          *suffix,
              const char          *key,
              const char          *value)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *room = NULL;
  g_autofree char *path = NULL;

  if (self->engine == NULL || self->call_sid == NULL || self->call_sid[0] == '\0')
    return;
  room = g_uri_escape_string (hc_call_engine_get_room_sid (self->engine), NULL, FALSE);
  path = g_strdup_printf ("/v1/Rooms/%s/PhoneCalls/%s%s", room, self->call_sid, suffix);
  g_hash_table_insert (form, (gpointer) key, (gpointer) value);
  hc_session_api_async (self->session, "POST", path, form, self->cancellable,
                        on_phone_request_done, g_object_ref (self));
}

static void
on_hangup_clicked (HcInterpreterDialog *self)
{
  call_request (self, "", "Status",
                g_strcmp0 (self->call_status, "answered") == 0 ? "completed" : "canceled");
}

static void
on_key_clicked (GtkButton           *button,
                HcInterpreterDialog *self)
{
  call_request (self, "/Digits", "Digits", gtk_button_get_label (button));
}

static void
build_keypad (HcInterpreterDialog *self)
{
  static const char keys[] = "123456789*0#";

  for (guint i = 0; i < strlen (keys); i++)
    {
      char key[2] = { keys[i], '\0' };
      /* Translators: a keypad button, for screen readers: "Send 5". */
      g_autofree char *label = g_strdup_printf (_("Send %s"), key);
      GtkWidget *button = gtk_button_new_with_label (key);

      gtk_widget_add_css_class (button, "circular");
      gtk_widget_set_size_request (button, 48, 48);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      g_signal_connect (button, "clicked", G_CALLBACK (on_key_clicked), self);
      gtk_grid_attach (self->keypad, button, (int) (i % 3), (int) (i / 3), 1, 1);
    }
}

/* Which ways the server offers for this visit: the phone bridge, a service. */
static void
show_group_if (HcInterpreterDialog *self,
               JsonNode            *root,
               GtkWidget           *group,
               const char          *key)
{
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root) && group != NULL)
    gtk_widget_set_visible (group, json_object_get_boolean_member_with_default (
                                     json_node_get_object (root), key, FALSE));
}

static void
on_phone_calls_listed (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(HcInterpreterDialog) self = user_data;
  g_autoptr(JsonNode) root = hc_session_api_finish (HC_SESSION (source), result, NULL);

  show_group_if (self, root, self->phone_group, "phone_bridge");
}

static void
on_service_listed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HcInterpreterDialog) self = user_data;
  g_autoptr(JsonNode) root = hc_session_api_finish (HC_SESSION (source), result, NULL);

  show_group_if (self, root, self->service_group, "available");
}

static void
probe_ways (HcInterpreterDialog *self)
{
  g_autofree char *room = NULL;
  g_autofree char *calls = NULL;
  g_autofree char *service = NULL;

  if (self->engine == NULL || hc_call_engine_get_room_sid (self->engine) == NULL)
    return;
  room = g_uri_escape_string (hc_call_engine_get_room_sid (self->engine), NULL, FALSE);
  calls = g_strdup_printf ("/v1/Rooms/%s/PhoneCalls", room);
  service = g_strdup_printf ("/v1/Rooms/%s/InterpreterRequests", room);
  hc_session_api_async (self->session, "GET", calls, NULL, self->cancellable,
                        on_phone_calls_listed, g_object_ref (self));
  hc_session_api_async (self->session, "GET", service, NULL, self->cancellable,
                        on_service_listed, g_object_ref (self));
}

static void
on_service_answered (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HcInterpreterDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = hc_session_api_finish (HC_SESSION (source), result, &error);
  JsonObject *answer;

  if (self->service_button != NULL)
    gtk_widget_set_sensitive (self->service_button, TRUE);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }
  answer = json_node_get_object (root);
  if (g_strcmp0 (json_object_get_string_member_with_default (answer, "action", ""), "dial") == 0 &&
      json_object_has_member (answer, "call") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (answer, "call")))
    {
      JsonObject *call = json_object_get_object_member (answer, "call");

      g_free (self->call_sid);
      self->call_sid = g_strdup (json_object_get_string_member_with_default (call, "sid", NULL));
      g_clear_pointer (&self->call_status, g_free);
      g_string_truncate (self->timeline, 0);
      show_call (self, call);
      show_toast (self, _("The interpreter service is calling in"));
    }
  else
    {
      show_toast (self, _("The interpreter service was sent a link to this visit"));
      refresh_invites (self);
    }
}

static void
on_service_clicked (HcInterpreterDialog *self)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *room = NULL;
  g_autofree char *path = NULL;
  guint language = adw_combo_row_get_selected (self->language_row);

  if (self->engine == NULL || language >= G_N_ELEMENTS (languages))
    return;
  room = g_uri_escape_string (hc_call_engine_get_room_sid (self->engine), NULL, FALSE);
  path = g_strdup_printf ("/v1/Rooms/%s/InterpreterRequests", room);
  g_hash_table_insert (form, "Language", (gpointer) languages[language].code);
  gtk_widget_set_sensitive (self->service_button, FALSE);
  hc_session_api_async (self->session, "POST", path, form, self->cancellable,
                        on_service_answered, g_object_ref (self));
}

static gboolean
refresh_invites_tick (gpointer user_data)
{
  refresh_invites (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_mapped (HcInterpreterDialog *self)
{
  refresh_invites (self);
  probe_ways (self);
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add_seconds (3, refresh_invites_tick, self);
}

static void
on_unmapped (HcInterpreterDialog *self)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
}

static void
hc_interpreter_dialog_dispose (GObject *object)
{
  HcInterpreterDialog *self = HC_INTERPRETER_DIALOG (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->engine);
  gtk_widget_dispose_template (GTK_WIDGET (self), HC_TYPE_INTERPRETER_DIALOG);

  G_OBJECT_CLASS (hc_interpreter_dialog_parent_class)->dispose (object);
}

static void
hc_interpreter_dialog_finalize (GObject *object)
{
  HcInterpreterDialog *self = HC_INTERPRETER_DIALOG (object);

  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->line_numbers, g_ptr_array_unref);
  g_free (self->room_sid);
  g_free (self->link);
  g_free (self->call_sid);
  g_free (self->call_status);
  g_string_free (self->timeline, TRUE);
  g_ptr_array_unref (self->early_events);

  G_OBJECT_CLASS (hc_interpreter_dialog_parent_class)->finalize (object);
}

static void
hc_interpreter_dialog_class_init (HcInterpreterDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hc_interpreter_dialog_dispose;
  object_class->finalize = hc_interpreter_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/housecall/Console/hc-interpreter-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, role_row);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, language_row);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, sms_row);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, invite_error);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, lifetime_spin);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, create_button);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, link_group);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, link_row);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, copy_button);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, invites_list);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, service_group);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, service_button);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, phone_group);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, line_row);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, number_row);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, digits_row);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, phone_error);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, call_button);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, call_group);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, timeline_label);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, keypad);
  gtk_widget_class_bind_template_child (widget_class, HcInterpreterDialog, hangup_button);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hc_interpreter_dialog_init (HcInterpreterDialog *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->timeline = g_string_new (NULL);
  self->early_events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->settings = g_settings_new (HC_SETTINGS_SCHEMA_ID);
  build_keypad (self);
  fill_lines (self);
  g_signal_connect_object (self->settings, "changed::interpreter-lines", G_CALLBACK (fill_lines),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->line_row, "notify::selected", G_CALLBACK (on_line_selected),
                            self);
  g_signal_connect_swapped (self->number_row, "changed", G_CALLBACK (on_phone_form_changed), self);
  g_signal_connect_swapped (self->digits_row, "changed", G_CALLBACK (on_phone_form_changed), self);
  g_signal_connect_swapped (self->call_button, "clicked", G_CALLBACK (on_call_clicked), self);
  g_signal_connect_swapped (self->hangup_button, "clicked", G_CALLBACK (on_hangup_clicked), self);
  g_signal_connect_swapped (self->service_button, "clicked", G_CALLBACK (on_service_clicked),
                            self);

  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    gtk_string_list_append (names, _(languages[i].name));
  adw_combo_row_set_model (self->language_row, G_LIST_MODEL (names));

  g_signal_connect_swapped (self->role_row, "notify::selected", G_CALLBACK (suggest_name), self);
  g_signal_connect_swapped (self->language_row, "notify::selected", G_CALLBACK (suggest_name),
                            self);
  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (on_name_changed), self);
  g_signal_connect_swapped (self->sms_row, "changed", G_CALLBACK (validate_invite_form), self);
  g_signal_connect_swapped (self->create_button, "clicked", G_CALLBACK (on_create_clicked), self);
  g_signal_connect_swapped (self->copy_button, "clicked", G_CALLBACK (on_copy_clicked), self);
  g_signal_connect (self, "map", G_CALLBACK (on_mapped), NULL);
  g_signal_connect (self, "unmap", G_CALLBACK (on_unmapped), NULL);
  suggest_name (self);
}

GtkWindow *
hc_interpreter_dialog_new (GtkWindow *parent,
                           HcSession *session)
{
  HcInterpreterDialog *self;

  g_return_val_if_fail (HC_IS_SESSION (session), NULL);

  self = g_object_new (HC_TYPE_INTERPRETER_DIALOG,
                       "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       "hide-on-close", TRUE,
                       NULL);
  self->session = g_object_ref (session);
  return GTK_WINDOW (self);
}

void
hc_interpreter_dialog_set_call (HcInterpreterDialog *self,
                                HcCallEngine        *engine)
{
  const char *room_sid;

  g_return_if_fail (HC_IS_INTERPRETER_DIALOG (self));
  g_return_if_fail (HC_IS_CALL_ENGINE (engine));

  room_sid = hc_call_engine_get_room_sid (engine);
  g_return_if_fail (room_sid != NULL);
  if (self->engine != engine)
    {
      if (self->engine != NULL)
        g_signal_handlers_disconnect_by_data (self->engine, self);
      g_set_object (&self->engine, engine);
      g_signal_connect_object (engine, "phone-call-status", G_CALLBACK (on_phone_call_status),
                               self, 0);
    }

  /* A link or a call shown for another visit must not linger. */
  if (g_strcmp0 (self->room_sid, room_sid) != 0)
    {
      g_free (self->room_sid);
      self->room_sid = g_strdup (room_sid);
      g_clear_pointer (&self->link, g_free);
      gtk_widget_set_visible (self->link_group, FALSE);
      gtk_picture_set_paintable (self->qr_picture, NULL);
      adw_action_row_set_subtitle (self->link_row, "");
      g_clear_pointer (&self->call_sid, g_free);
      g_clear_pointer (&self->call_status, g_free);
      g_string_truncate (self->timeline, 0);
      gtk_widget_set_visible (self->call_group, FALSE);
      validate_phone_form (self);
    }
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      refresh_invites (self);
      probe_ways (self);
    }
}
