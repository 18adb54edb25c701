using Coliseum.Catalogue;

namespace Coliseum.Core.Tests.Catalogue;

public sealed class CatalogueTypesTests
{
    // Written out from EVENTS.md on purpose: the catalogue is derived from the records by reflection, so
    // this list is the independent check that no type is missing, misspelt or extra.
    // Entities: "type:field", several in priority order, "[typeField]:field" when the type comes from a field.
    public static readonly TheoryData<string, string, string> Catalogue = new()
    {
        { "passport.session_started", "SessionStarted", "" },
        { "passport.session_ended", "SessionEnded", "" },
        { "passport.page_viewed", "PageViewed", "" },
        { "passport.signed_up", "SignedUp", "" },
        { "passport.logged_in", "LoggedIn", "" },
        { "passport.identified", "Identified", "" },
        { "passport.consent_updated", "ConsentUpdated", "" },
        { "concierto.event_created", "EventCreated", "event:eventId" },
        { "concierto.artist_booked", "ArtistBooked", "event:eventId" },
        { "concierto.event_viewed", "EventViewed", "event:eventId" },
        { "concierto.rsvp_submitted", "RsvpSubmitted", "event:eventId" },
        { "concierto.ticket_purchased", "TicketPurchased", "event:eventId" },
        { "concierto.ticket_refunded", "TicketRefunded", "event:eventId" },
        { "concierto.checked_in", "CheckedIn", "event:eventId" },
        { "concierto.event_attended", "EventAttended", "event:eventId" },
        { "concierto.event_rated", "EventRated", "event:eventId" },
        { "concierto.event_cancelled", "EventCancelled", "event:eventId" },
        { "treasury.money_spent", "MoneySpent", "artist:artistId event:eventId" },
        { "treasury.money_earned", "MoneyEarned", "artist:artistId event:eventId" },
        { "treasury.refund_issued", "RefundIssued", "event:eventId" },
        { "treasury.tip_sent", "TipSent", "artist:artistId" },
        { "treasury.payout_requested", "PayoutRequested", "artist:artistId" },
        { "treasury.payout_completed", "PayoutCompleted", "artist:artistId" },
        { "treasury.payment_failed", "PaymentFailed", "" },
        { "treasury.subscription_started", "SubscriptionStarted", "" },
        { "treasury.subscription_cancelled", "SubscriptionCancelled", "" },
        { "player.track_played", "TrackPlayed", "track:trackId" },
        { "player.track_paused", "TrackPaused", "track:trackId" },
        { "player.track_resumed", "TrackResumed", "track:trackId" },
        { "player.track_completed", "TrackCompleted", "track:trackId" },
        { "player.track_skipped", "TrackSkipped", "track:trackId" },
        { "player.track_liked", "TrackLiked", "track:trackId" },
        { "player.track_unliked", "TrackUnliked", "track:trackId" },
        { "player.playlist_created", "PlaylistCreated", "playlist:playlistId" },
        { "player.track_added_to_playlist", "TrackAddedToPlaylist", "playlist:playlistId" },
        { "social.artist_followed", "ArtistFollowed", "artist:artistId" },
        { "social.artist_unfollowed", "ArtistUnfollowed", "artist:artistId" },
        { "social.user_followed", "UserFollowed", "user:targetUserId" },
        { "social.content_shared", "ContentShared", "[entityType]:entityId" },
        { "social.comment_posted", "CommentPosted", "[entityType]:entityId" },
        { "social.reaction_added", "ReactionAdded", "[entityType]:entityId" },
        { "social.invite_sent", "InviteSent", "" },
        { "social.invite_accepted", "InviteAccepted", "" },
        { "coliseum.vote_cast", "VoteCast", "artist:artistId" },
        { "coliseum.vote_retracted", "VoteRetracted", "artist:artistId" },
        { "coliseum.competition_entered", "CompetitionEntered", "artist:artistId" },
        { "coliseum.leaderboard_viewed", "LeaderboardViewed", "leaderboard:leaderboardId" },
        { "coliseum.report_generated", "ReportGenerated", "report:reportId" },
        { "mediaid.profile_updated", "ProfileUpdated", "" },
        { "mediaid.preferences_updated", "PreferencesUpdated", "" },
        { "mediaid.artist_profile_updated", "ArtistProfileUpdated", "artist:artistId" },
    };

    [Fact]
    public void Catalogue_has_all_51_types_of_EVENTS_md()
    {
        var expected = Catalogue.Select(row => (string)row[0]).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(51, expected.Distinct().Count());
        Assert.Equal(expected, EventCatalogue.Types.Keys.Order(StringComparer.Ordinal));
    }

    [Theory, MemberData(nameof(Catalogue))]
    public void Each_type_is_a_sealed_record_named_after_its_action(string type, string className, string entities)
    {
        _ = entities;
        var spec = EventCatalogue.Types[type];

        Assert.Equal(className, spec.ClrType.Name);
        Assert.Equal("Coliseum.Catalogue", spec.ClrType.Namespace);
        Assert.True(spec.ClrType.IsSealed);
        Assert.Equal(type[..type.IndexOf('.', StringComparison.Ordinal)], spec.Category);
    }

    [Theory, MemberData(nameof(Catalogue))]
    public void Each_type_names_its_primary_entity(string type, string className, string entities)
    {
        _ = className;
        var actual = EventCatalogue.Types[type].Entities
            .Select(e => e.TypeField is null ? $"{e.EntityType}:{e.IdField}" : $"[{e.TypeField}]:{e.IdField}");

        Assert.Equal(entities, string.Join(' ', actual));
    }

    [Theory, MemberData(nameof(Catalogue))]
    public void Every_entity_field_is_a_field_of_its_type(string type, string className, string entities)
    {
        _ = (className, entities);
        var spec = EventCatalogue.Types[type];

        foreach (var entity in spec.Entities)
        {
            Assert.Equal(FieldKind.String, spec.FieldsByName[entity.IdField].Kind);
            Assert.Equal(128, spec.FieldsByName[entity.IdField].MaxLength);
            if (entity.TypeField is not null)
            {
                Assert.True(spec.FieldsByName[entity.TypeField].Required);
            }
        }
    }

    [Fact]
    public void Ticket_purchased_requires_event_ticket_and_money_and_defaults_quantity_to_one()
    {
        var fields = EventCatalogue.Types["concierto.ticket_purchased"].FieldsByName;

        Assert.Equal(["eventId", "ticketId", "amountCents", "currency"], Required("concierto.ticket_purchased"));
        Assert.Equal((FieldKind.Integer, 1d, 9_007_199_254_740_991d), (fields["amountCents"].Kind, fields["amountCents"].Minimum, fields["amountCents"].Maximum));
        Assert.True(fields["currency"].IsCurrency);
        Assert.Equal(3, fields["currency"].MaxLength);
        var quantity = fields["quantity"];
        Assert.False(quantity.Required);
        Assert.Equal((FieldKind.Integer, 1d, 100d, (object?)1), (quantity.Kind, quantity.Minimum, quantity.Maximum, quantity.DefaultValue));
    }

    [Fact]
    public void Money_spent_requires_a_reason_from_the_catalogue_list()
    {
        var reason = EventCatalogue.Types["treasury.money_spent"].FieldsByName["reason"];

        Assert.Equal(["amountCents", "currency", "reason"], Required("treasury.money_spent"));
        Assert.Equal(["ticket", "tip", "subscription", "merch", "other"], reason.AllowedValues!);
    }

    [Fact]
    public void Enumerations_ratings_and_weights_have_their_catalogue_bounds()
    {
        Assert.Equal(["going", "interested", "not_going"], Field("concierto.rsvp_submitted", "status").AllowedValues!);
        Assert.Equal(["month", "year"], Field("treasury.subscription_started", "interval").AllowedValues!);
        var role = Field("concierto.artist_booked", "role");
        Assert.False(role.Required);
        Assert.Equal(["headliner", "support", "guest"], role.AllowedValues!);
        Assert.Equal((1d, 5d), (Field("concierto.event_rated", "rating").Minimum, Field("concierto.event_rated", "rating").Maximum));
        Assert.Equal((1d, 100d), (Field("coliseum.vote_cast", "weight").Minimum, Field("coliseum.vote_cast", "weight").Maximum));
        Assert.Equal((0d, 86_400d), (Field("player.track_skipped", "positionSeconds").Minimum, Field("player.track_skipped", "positionSeconds").Maximum));
        Assert.Equal(31_536_000d, Field("passport.session_ended", "durationSeconds").Maximum);
    }

    [Fact]
    public void Fields_have_the_kinds_of_EVENTS_md()
    {
        Assert.Equal(FieldKind.Boolean, Field("passport.consent_updated", "granted").Kind);
        Assert.Equal(["scope", "granted"], Required("passport.consent_updated"));
        Assert.Equal(FieldKind.FreeObject, Field("passport.identified", "traits").Kind);
        Assert.Equal(FieldKind.Instant, Field("concierto.event_created", "startsAt").Kind);
        Assert.Equal(["eventId", "name", "city", "startsAt"], Required("concierto.event_created"));
        Assert.Equal(FieldKind.StringArray, Field("concierto.event_created", "artistIds").Kind);
        Assert.Equal(FieldKind.StringArray, Field("mediaid.profile_updated", "fields").Kind);
        Assert.Equal(FieldKind.Number, Field("player.track_completed", "listenedSeconds").Kind);
        Assert.Equal(FieldKind.Integer, Field("coliseum.vote_cast", "weight").Kind);
    }

    [Fact]
    public void Utm_is_a_nested_object_of_optional_strings()
    {
        foreach (var type in new[] { "passport.session_started", "passport.signed_up" })
        {
            var utm = Field(type, "utm");
            Assert.Equal(FieldKind.Object, utm.Kind);
            Assert.False(utm.Required);
            Assert.Equal(["source", "medium", "campaign", "term", "content"], utm.Fields!.Select(f => f.Name));
            Assert.All(utm.Fields!, f => Assert.Equal((FieldKind.String, false), (f.Kind, f.Required)));
        }
        Assert.False(typeof(Utm).IsSubclassOf(typeof(PassportEvent)));
    }

    [Fact]
    public void Preferences_updated_has_no_required_field_and_player_pairs_require_both_ids()
    {
        Assert.Empty(Required("mediaid.preferences_updated"));
        Assert.Equal(["trackId", "artistId"], Required("player.track_liked"));
        Assert.Equal(["playlistId", "trackId"], Required("player.track_added_to_playlist"));
        Assert.Equal(["entityType", "entityId", "channel"], Required("social.content_shared"));
    }

    private static FieldSpec Field(string type, string field) => EventCatalogue.Types[type].FieldsByName[field];

    private static string[] Required(string type) =>
        EventCatalogue.Types[type].Fields.Where(f => f.Required).Select(f => f.Name).ToArray();
}
